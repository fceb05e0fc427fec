variable "name" {
  description = "Prefix of the security group name, e.g. `shipgate-staging`."
  type        = string
}

variable "prefix" {
  description = "Prefix of the SSM parameters; must equal `contractsPrefix` in shipgate.config.yaml (the stack reads `<prefix>/<environment>/smoke-check/subnet-ids` and `…/security-group-id`)."
  type        = string
  default     = "/shipgate"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.prefix))
    error_message = "The prefix must start with / and must not end with /, e.g. /shipgate."
  }
}

variable "environment" {
  description = "Environment name as in shipgate.config.yaml, e.g. `production`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.environment))
    error_message = "The environment must be a lower-case name of letters, digits and '-' (as Shipgate's config requires)."
  }
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the smoke check hook is placed in (at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "The smoke check needs at least one subnet."
  }
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer whose test listener the smoke check calls."
  type        = string
}

variable "test_listener_ports" {
  description = "Ports of the test listeners the smoke check may call (the shared test listener, CodeDeploy services' own)."
  type        = list(number)
}

variable "endpoints_security_group_id" {
  description = "Security group of the VPC's interface endpoints (network module): the hook reads its deploy contract from SSM through them."
  type        = string
}

variable "dynamodb_prefix_list_id" {
  description = "Prefix list of the VPC's DynamoDB gateway endpoint (network module): the hook records its checks in Shipgate's table."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}

variable "share_with_account_id" {
  description = "Shipgate's AWS account when this environment lives in an account of its own: the subnets and the security group are shared with it through AWS RAM (both accounts in one AWS Organization), so its verify hook function runs here. null: Shipgate is in this account, nothing is shared."
  type        = string
  default     = null

  validation {
    condition     = var.share_with_account_id == null || can(regex("^\\d{12}$", var.share_with_account_id))
    error_message = "share_with_account_id must be a 12-digit AWS account id or null."
  }
}
