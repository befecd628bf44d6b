output "o" {
  value = format("%999999999d", 1)
}
