provider "trellis" {
  store = "world.json"
}

variable "port" {
  type    = number
  default = 70000
  validation {
    condition     = var.port < 65536
    error_message = "port must be below 65536"
  }
}

resource "trellis_test_thing" "t" {
  name  = "t"
  value = tostring(var.port)
}
