provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "a" {
  name = "a"
}

resource "trellis_test_thing" "b" {
  for_each = toset([trellis_test_thing.a.id])
  name     = each.key
}
