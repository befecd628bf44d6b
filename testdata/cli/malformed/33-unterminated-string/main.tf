provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  name = "never closed
}
