# A VPC association takes at most 5 security groups (6 here).
resource "aws_vpclattice_service_network_vpc_association" "vpc" {
  vpc_identifier             = "vpc-0123456789abcdef0"
  service_network_identifier = "sn-0123456789abcdef0"
  security_group_ids = [
    "sg-00000000000000001",
    "sg-00000000000000002",
    "sg-00000000000000003",
    "sg-00000000000000004",
    "sg-00000000000000005",
    "sg-00000000000000006",
  ]
}
