check "scoped" {
  data "aws_vpc" "v" {
    id = "vpc-1"
  }
  assert {
    condition     = data.aws_vpc.v.id != ""
    error_message = "no vpc"
  }
}

check "empty" {
}

check "half" {
  assert {
    condition = true
  }
  bogus = 1
}

check "scoped" {
  assert {
    condition     = true
    error_message = "x"
  }
}
