provider "aws" {
  region = "us-east-1"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

variable "callers" {
  description = "who may call which service, by caller name"
  type = map(object({
    account  = string
    services = list(string)
    methods  = optional(list(string), ["GET"])
  }))
  default = {
    web = {
      account  = "111111111111"
      services = ["cart", "catalog"]
    }
    batch = {
      account  = "222222222222"
      services = ["catalog"]
      methods  = ["GET", "POST"]
    }
  }
}

locals {
  services = toset(flatten([for c in values(var.callers) : c.services]))
}

resource "aws_vpclattice_service_network" "this" {
  name      = "compat-04"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_service" "this" {
  for_each  = local.services
  name      = each.key
  auth_type = "AWS_IAM"
}

data "aws_iam_policy_document" "network" {
  statement {
    sid       = "AuthenticatedOnly"
    effect    = "Allow"
    actions   = ["vpc-lattice-svcs:Invoke"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEqualsIgnoreCase"
      variable = "aws:PrincipalType"
      values   = ["anonymous"]
    }
  }
}

data "aws_iam_policy_document" "deny_outside_org" {
  statement {
    sid       = "DenyOutsideOrg"
    effect    = "Deny"
    actions   = ["vpc-lattice-svcs:Invoke"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalOrgID"
      values   = ["o-exampleorgid"]
    }
  }
}

data "aws_iam_policy_document" "service" {
  for_each = local.services

  source_policy_documents = [data.aws_iam_policy_document.deny_outside_org.json]

  dynamic "statement" {
    for_each = { for name, c in var.callers : name => c if contains(c.services, each.key) }
    content {
      sid       = "Allow${title(statement.key)}"
      effect    = "Allow"
      actions   = ["vpc-lattice-svcs:Invoke"]
      resources = ["${aws_vpclattice_service.this[each.key].arn}/*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${data.aws_partition.current.partition}:iam::${statement.value.account}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "vpc-lattice-svcs:RequestMethod"
        values   = statement.value.methods
      }
    }
  }
}

resource "aws_vpclattice_auth_policy" "network" {
  resource_identifier = aws_vpclattice_service_network.this.arn
  policy              = data.aws_iam_policy_document.network.json
}

resource "aws_vpclattice_auth_policy" "service" {
  for_each            = local.services
  resource_identifier = aws_vpclattice_service.this[each.key].arn
  policy              = data.aws_iam_policy_document.service[each.key].json
}

output "network_policy" {
  value = jsondecode(data.aws_iam_policy_document.network.json)
}

output "account" {
  value = data.aws_caller_identity.current.account_id
}
