provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "a" {
  name = "a"
}

resource "trellis_test_thing" "t" {
  name       = "t"
  depends_on = ["trellis_test_thing.a"]
}
