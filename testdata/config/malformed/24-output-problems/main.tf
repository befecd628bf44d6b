output "no_value" {
  description = "missing value"
}

output "bad" {
  value      = 1
  sensitive  = "no"
  depends_on = [local.x]
  senstive   = true
}
