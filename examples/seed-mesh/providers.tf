# The article's layout across four AWS accounts, applied in one run:
#
#   network    owns the service network (auth_type AWS_IAM, an auth policy admitting the three
#              service accounts) and shares it through RAM with them
#   service-a  only calls others: its VPC joins the network as a client
#   service-b  is only called: its Lattice service joins the network
#   service-c  does both: its service and its VPC join the network
#
# Each account is one `provider "aws"` alias that assumes a role in it; every resource says
# with `provider = aws.<account>` where it lives, and the plan shows the account of every
# change. `max_retries = 10` rides out throttling and transient 500s (docs/reliability.md,
# Faults). See README.md beside this file and docs/multi-account.md.

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "accounts" {
  description = "the account ID of each role in the mesh"
  type = object({
    network   = string
    service_a = string
    service_b = string
    service_c = string
  })
  default = {
    network   = "111111111111"
    service_a = "222222222222"
    service_b = "333333333333"
    service_c = "444444444444"
  }
}

variable "role_name" {
  description = "the role trellis assumes in every account"
  type        = string
  default     = "trellis-deploy"
}

variable "domain" {
  description = "the private domain of the services' custom names"
  type        = string
  default     = "mesh.internal"
}

variable "service_a_serves" {
  description = "make Service A a server too (client and server, like Service C)"
  type        = bool
  default     = false
}

variable "service_b_port" {
  description = "the port of Service B's listener"
  type        = number
  default     = 80
}

provider "aws" {
  alias       = "network"
  region      = var.region
  max_retries = 10
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.network}:role/${var.role_name}"
    session_name = "trellis-seed-mesh"
  }
  default_tags {
    tags = { example = "seed-mesh", owner = "network" }
  }
}

provider "aws" {
  alias       = "service_a"
  region      = var.region
  max_retries = 10
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.service_a}:role/${var.role_name}"
    session_name = "trellis-seed-mesh"
  }
  default_tags {
    tags = { example = "seed-mesh", owner = "service-a" }
  }
}

provider "aws" {
  alias       = "service_b"
  region      = var.region
  max_retries = 10
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.service_b}:role/${var.role_name}"
    session_name = "trellis-seed-mesh"
  }
  default_tags {
    tags = { example = "seed-mesh", owner = "service-b" }
  }
}

provider "aws" {
  alias       = "service_c"
  region      = var.region
  max_retries = 10
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.service_c}:role/${var.role_name}"
    session_name = "trellis-seed-mesh"
  }
  default_tags {
    tags = { example = "seed-mesh", owner = "service-c" }
  }
}
