provider "trellis" {
  store = "world.json"
}

locals {
  names = ["a", "b"]
}

resource "trellis_test_thing" "t" {
  name = local.names[5]
}
