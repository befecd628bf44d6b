provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  count = -1
  name  = "t"
}
