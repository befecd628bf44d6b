provider "trellis" {
  store = "world.json"
}

variable "v" {
  type = strng
}

resource "trellis_test_thing" "t" {
  name = var.v
}
