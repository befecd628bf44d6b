provider "trellis" {
  store = "world.json"
}

data "trellis_test_lokup" "x" {
  name = "mesh"
}
