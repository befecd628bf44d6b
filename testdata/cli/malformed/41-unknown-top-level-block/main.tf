provider "trellis" {
  store = "world.json"
}

resourse "trellis_test_thing" "t" {
  name = "t"
}
