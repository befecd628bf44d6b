provider "trellis" {
  store = "world.json"
}

locals {
  m = { a = "x" }
}

resource "trellis_test_thing" "t" {
  name = local.m["nope"]
}
