provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "a" {
  name  = "a"
  value = trellis_test_thing.b.id
}

resource "trellis_test_thing" "b" {
  name  = "b"
  value = trellis_test_thing.a.id
}
