provider "trellis" {
  store = "world.json"
}

variable "token" {
  type      = string
  sensitive = true
  default   = "t"
}

output "token" {
  value = var.token
}
