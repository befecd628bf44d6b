terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project   = "compat-01"
      ManagedBy = "terraform"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "services" {
  description = "the services of the mesh, by name"
  type        = any
  default = {
    orders = {
      auth_type = "NONE"
      listeners = {
        http = {
          protocol = "HTTP"
          port     = 80
          default  = { fixed_response = 404 }
          rules = {
            api-v2 = { priority = 10, path = "/v2", target = "orders-v2" }
            api-v1 = { priority = 20, path = "/", target = "orders-v1" }
          }
        }
      }
      targets = {
        orders-v1 = { type = "IP", port = 8080, ips = ["10.0.1.10", "10.0.1.11"] }
        orders-v2 = { type = "IP", port = 8080, ips = ["10.0.2.10"], health_path = "/healthz" }
      }
    }
    payments = {
      listeners = {
        http = {
          protocol = "HTTP"
          default  = { forward = "payments" }
        }
      }
      targets = {
        payments = { type = "IP", port = 9090, ips = ["10.0.3.10"] }
      }
      tags = { Team = "payments" }
    }
  }
}

resource "aws_vpc" "mesh" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name = "compat-01"
  }
}

module "lattice" {
  source = "./modules/lattice"

  name     = "compat-01"
  vpc_id   = aws_vpc.mesh.id
  services = var.services
}

output "service_dns" {
  value = module.lattice.service_dns
}
