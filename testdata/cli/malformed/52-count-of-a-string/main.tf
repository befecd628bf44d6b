provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  count = "three"
  name  = "t"
}
