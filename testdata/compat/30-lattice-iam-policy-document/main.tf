provider "aws" {
  region = "us-east-1"
}

variable "services" {
  description = <<-EOT
    Services of the mesh, keyed by name. `callers` are the roles allowed to invoke.
  EOT
  type = map(object({
    callers = optional(list(string), [])
    port    = optional(number)
  }))
  default = {
    orders  = { callers = ["checkout"] }
    billing = { port = 8443 }
  }
}

locals {
  callers = toset(flatten([for s in values(var.services) : s.callers]))
}

data "aws_caller_identity" "me" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "caller" {
  for_each           = local.callers
  name               = "${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags = {
    caller = each.key
  }
}

resource "aws_vpclattice_service" "svc" {
  for_each  = var.services
  name      = each.key
  auth_type = "AWS_IAM"
}

data "aws_iam_policy_document" "auth" {
  for_each = var.services
  statement {
    effect    = "Allow"
    actions   = ["vpc-lattice-svcs:Invoke"]
    resources = ["${aws_vpclattice_service.svc[each.key].arn}/*"]
    principals {
      type = "AWS"
      identifiers = length(each.value.callers) > 0 ? [
        for c in each.value.callers : aws_iam_role.caller[c].arn
      ] : ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"]
    }
  }
}

resource "aws_vpclattice_auth_policy" "svc" {
  for_each            = var.services
  resource_identifier = aws_vpclattice_service.svc[each.key].arn
  policy              = data.aws_iam_policy_document.auth[each.key].json
}

resource "aws_iam_role_policy" "invoke" {
  for_each = local.callers
  name     = "invoke"
  role     = aws_iam_role.caller[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "vpc-lattice-svcs:Invoke"
      Resource = [for k, s in var.services : "${aws_vpclattice_service.svc[k].arn}/*" if contains(s.callers, each.key)]
    }]
  })
}

output "roles" {
  value = { for k, r in aws_iam_role.caller : k => r.arn }
}
