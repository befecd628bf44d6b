terraform {
  required_version = 1.5
  requried_providers {}

  required_providers {
    aws = 5
  }

  backend "s3" {}
  backend "local" {}
  backend {}
}
