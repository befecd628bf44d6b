locals {
  names = ["a", "b"
  other = 1
}
