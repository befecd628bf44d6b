# A resource policy is a JSON object, not a list of statements.
resource "aws_vpclattice_resource_policy" "mesh" {
  resource_arn = "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0123456789abcdef0"
  policy = jsonencode([{
    Effect    = "Allow"
    Principal = "*"
    Action    = "vpc-lattice:AssociateViaAWSService"
    Resource  = "*"
  }])
}
