variable "network_name" {
  type        = string
  default     = "compat-02"
  description = <<-EOT
    The name of the service network. Lattice names are 3 to 63 characters of lower-case
    letters, digits and hyphens.
  EOT

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.network_name))
    error_message = <<-EOT
      network_name must be 3 to 63 lower-case letters, digits or hyphens.
    EOT
  }
}

variable "services" {
  description = "services and their options"
  type = map(object({
    port      = optional(number, 443)
    protocol  = optional(string, "HTTPS")
    auth_type = optional(string, "AWS_IAM")
    tags      = optional(map(string), {})
  }))
  default = {
    "inventory" = {}
    "billing" = {
      port     = 80
      protocol = "HTTP"
      tags     = { CostCenter = "1234" }
    }
  }
}

variable "allowed_account" {
  type     = string
  default  = "123456789012"
  nullable = false
}

variable "extra_tags" {
  type    = map(string)
  default = null
}
