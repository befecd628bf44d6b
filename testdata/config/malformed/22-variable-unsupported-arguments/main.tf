variable "a" {
  typ         = string
  default     = "x"
  descripton  = "typo"
  sensitive   = "yes"
  nullable    = 1

  validation {
    condition = true
  }

  validaton {
  }
}
