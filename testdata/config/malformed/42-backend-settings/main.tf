variable "bucket" {
  type = string
}

terraform {
  backend "s3" {
    bucket         = var.bucket
    key            = "mesh/prod.state"
    regoin         = "us-east-1"
    dynamodb_table = "locks"
    encrypt        = true

    assume_role {
      role_arn = "arn:aws:iam::111111111111:role/state"
      duration = "1h"
      policy   = "{}"
    }

    endpoint {
      s3 = "http://localhost:9000"
    }
  }
}
