provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "both" {
  count    = 2
  for_each = toset(["a"])
  name     = "both"
}
