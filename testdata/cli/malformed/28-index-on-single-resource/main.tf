provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "a" {
  name = "a"
}

resource "trellis_test_thing" "b" {
  name  = "b"
  value = trellis_test_thing.a[0].id
}
