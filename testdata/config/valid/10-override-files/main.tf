terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "name" {
  type    = string
  default = "orders"
}

locals {
  env  = "dev"
  team = "payments"
}

resource "aws_vpclattice_service" "orders" {
  name      = var.name
  auth_type = "NONE"
  tags = {
    env = local.env
  }
  lifecycle {
    prevent_destroy = true
  }
}

output "id" {
  value = aws_vpclattice_service.orders.id
}
