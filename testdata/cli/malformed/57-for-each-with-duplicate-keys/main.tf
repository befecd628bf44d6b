provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  for_each = { for n in ["a", "a"] : n => n }
  name     = each.key
}
