resorce "aws_vpclattice_service" "a" {
  name = "a"
}

outptu "x" {
  value = 1
}

widget "w" {}
