provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  name = "a"
  name = "b"
}
