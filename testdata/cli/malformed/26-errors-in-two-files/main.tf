provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "a" {
  nmae = "a"
}
