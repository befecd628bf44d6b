provider "trellis" {
  store = "world.json"
}

locals {
  prefix = "mesh"
}

resource "trellis_test_thing" "t" {
  name = "${local.prefx}-t"
}
