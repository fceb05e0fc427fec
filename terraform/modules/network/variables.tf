variable "name" {
  description = "Name used for the VPC and as a prefix for every resource of the module, e.g. `shipgate-staging`."
  type        = string
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC. Subnets are carved from it as /24s (public from index 0, private from index 10)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr))
    error_message = "The cidr must be a valid IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over. Empty means the first two available zones of the region."
  type        = list(string)
  default     = []
}

variable "enable_nat_gateway" {
  description = "Create one NAT gateway for the private subnets. Off by default: the interface endpoints below give tasks ECR, logs, SSM and Secrets Manager without one; turn it on when services call the internet."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints from the private subnets (short names as in com.amazonaws.<region>.<name>)."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager"]
}

variable "enable_flow_log" {
  description = "Send VPC flow logs (rejected and accepted traffic) to a CloudWatch log group."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention in days of the VPC flow log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
