provider "trellis" {
  store = "world.json"
}

variable "port" {
  type    = number
  default = "eighty"
}

resource "trellis_test_thing" "t" {
  name  = "t"
  value = var.port
}
