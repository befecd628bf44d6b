locals {
  r = range(100000000)
}
output "o" {
  value = length(local.r)
}
