provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "same" {
  name = "one"
}

resource "trellis_test_thing" "same" {
  name = "two"
}
