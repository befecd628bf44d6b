variable "accounts" {
  type = map(string)
  default = {
    network  = "111111111111"
    consumer = "222222222222"
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  alias  = "network"
  region = var.region
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts["network"]}:role/terraform"
    session_name = "compat-05"
  }
  default_tags {
    tags = { Owner = "network-team" }
  }
}

provider "aws" {
  alias  = "consumer"
  region = var.region
  assume_role {
    role_arn = "arn:aws:iam::${var.accounts["consumer"]}:role/terraform"
  }
}
