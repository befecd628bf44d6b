provider "trellis" {
  store = "world.json"
}

locals {
  a = local.b
  b = local.a
}

resource "trellis_test_thing" "t" {
  name = local.a
}
