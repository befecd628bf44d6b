# Heredocs and templates without interpolation are literals wherever Terraform wants one.
terraform {
  required_version = <<EOT
>= 1.5
EOT
}

variable "indented" {
  type        = string
  description = <<-EOT
    Indented heredoc: the least indented line sets the margin.
      This line keeps two spaces.
    EOT
}

variable "flush" {
  description = <<EOT
Flush heredoc keeps its final newline.
EOT
}

variable "escaped" {
  description = "Escapes are literal: $${not.an.interpolation} and %%{not_a_directive}"
}

output "described" {
  value       = var.flush
  description = <<-EOT
    Output descriptions too.
  EOT
}

variable "optional_default" {
  type = object({
    greeting = optional(string, <<-EOT
      hello
    EOT
    )
  })
}
