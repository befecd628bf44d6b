provider "aws" {
  region = "us-east-1"
}

module "lattice" {
  source  = "aws-ia/amazon-vpc-lattice-module/aws"
  version = "~> 0.1.0"

  service_network = {
    name      = "compat-03"
    auth_type = "NONE"
  }

  services = {
    catalog = {
      name      = "catalog"
      auth_type = "NONE"
    }
    search = {
      name      = "search"
      auth_type = "AWS_IAM"
    }
  }

  tags = {
    Application = "shop"
  }
}

output "service_network_id" {
  value = module.lattice.service_network.id
}

output "services" {
  value = { for k, s in module.lattice.services : k => s.arn }
}
