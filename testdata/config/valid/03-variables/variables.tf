variable "simple" {}

variable "name" {
  type        = string
  description = "A name."
  default     = "orders"
  nullable    = false

  validation {
    condition     = length(var.name) > 2
    error_message = "The name must be longer than two characters."
  }

  validation {
    condition     = can(regex("^[a-z-]+$", var.name))
    error_message = "Lower case and dashes only."
  }
}

variable "secret" {
  type      = string
  sensitive = true
}

variable "count_of" {
  type    = number
  default = 3
}

variable "flags" {
  type    = set(bool)
  default = []
}

variable "anything" {
  type    = any
  default = null
}

variable "pair" {
  type    = tuple([string, number])
  default = ["a", 1]
}

variable "listeners" {
  type = list(object({
    name     = string
    port     = optional(number, 443)
    protocol = optional(string)
    tags     = optional(map(string), { team = "platform" })
    rules = optional(list(object({
      priority = number
      path     = optional(string, "/")
      weights  = optional(map(number), {})
    })), [])
  }))
  default = []
}
