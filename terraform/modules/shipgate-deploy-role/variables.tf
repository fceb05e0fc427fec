variable "name" {
  description = "Name of the deploy role, the last part of `environments[].aws.deployRole` in shipgate.config.yaml. The role ECS invokes Shipgate's verify hook with is `<name>-ecs-hooks` (the stack derives its ARN from the deploy role's)."
  type        = string
  default     = "shipgate-deploy"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,54}$", var.name))
    error_message = "The name must be 1-54 characters of letters, digits and +=,.@_- (54, so that <name>-ecs-hooks fits IAM's 64)."
  }
}

variable "path" {
  description = "IAM path of both roles; part of the role ARNs, so keep it equal to the path in `deployRole`."
  type        = string
  default     = "/"
}

variable "environment" {
  description = "The environment's name, as in shipgate.config.yaml `environments[].name`: the deploy contracts Shipgate may read are under `<contracts_prefix>/<environment>/`."
  type        = string
}

variable "contracts_prefix" {
  description = "Prefix of the deploy-contract SSM parameters (`contractsPrefix` in shipgate.config.yaml)."
  type        = string
  default     = "/shipgate"
}

variable "shipgate_role_arns" {
  description = "The only principals the deploy role trusts: the roles of Shipgate's functions that act on this environment, i.e. the environment's entry of the stack output `DeployRoleCallerArns` (JSON by environment)."
  type        = list(string)

  validation {
    condition     = length(var.shipgate_role_arns) > 0 && alltrue([for arn in var.shipgate_role_arns : can(regex("^arn:aws[a-z-]*:iam::\\d{12}:role/.+$", arn))])
    error_message = "Give at least one role ARN, each arn:aws:iam::<account>:role/<name> (the stack output DeployRoleCallerArns lists them)."
  }
}

variable "operator_principal_arns" {
  description = "People or roles who may assume the deploy role besides Shipgate's functions, with the same external id: whoever runs `shipgate contract init/check` and `shipgate doctor` for this environment (e.g. the platform team's SSO role). Empty: only the functions."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.operator_principal_arns : can(regex("^arn:aws[a-z-]*:(iam::\\d{12}:(role|user)/.+|sts::\\d{12}:assumed-role/.+)$", arn))])
    error_message = "Each operator principal is an IAM role or user ARN, e.g. arn:aws:iam::111111111111:role/platform-admins."
  }
}

variable "external_id" {
  description = "The `sts:ExternalId` every AssumeRole must carry: `environments[].aws.externalId` in shipgate.config.yaml."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@:/-]{2,1224}$", var.external_id))
    error_message = "The external id must be 2-1224 characters of letters, digits and +=,.@:/-_ (AWS's rule)."
  }
}

variable "shipgate_event_bus_arn" {
  description = "Shipgate's event bus (stack output `EventBusArn`): this account's ECS and CodeDeploy deployment events are forwarded there."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/.+$", var.shipgate_event_bus_arn))
    error_message = "Expected an event bus ARN, e.g. arn:aws:events:us-east-1:111111111111:event-bus/default (stack output EventBusArn)."
  }
}

variable "verify_hook_function_arn" {
  description = "Shipgate's verify hook of this environment (stack output `VerifyHook<Environment>Arn`): the only function the ECS hook role may invoke."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\\d{12}:function:.+$", var.verify_hook_function_arn))
    error_message = "Expected a Lambda function ARN (stack output VerifyHook<Environment>Arn)."
  }
}

variable "task_role_arns" {
  description = "Task and execution roles of the services (`task_role_arns` of modules/environment): the only roles Shipgate may pass to ECS tasks when it registers a task definition."
  type        = list(string)
  default     = []
}

variable "ecs_role_arns" {
  description = "Roles the deploy contracts name for ECS itself (the infrastructure role of BLUE_GREEN/LINEAR/CANARY services, the roles of the contracts' own lifecycle hooks): Shipgate may pass them, and its own ECS hook role, to ecs.amazonaws.com."
  type        = list(string)
  default     = []
}

variable "alarm_actions" {
  description = "Where the alarm on undeliverable forwarded events notifies (SNS topic ARNs of this account). Empty: the alarm only shows in CloudWatch."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
