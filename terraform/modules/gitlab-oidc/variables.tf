variable "gitlab_url" {
  description = "Public HTTPS URL of the GitLab instance (its `external_url`, the `iss` of its ID tokens), e.g. `https://gitlab.example.com`. AWS fetches the instance's JWKS from it, so it must be reachable from the internet over HTTPS."
  type        = string

  validation {
    condition     = can(regex("^https://[^/*?]+(/[^*?]*[^/*?])?$", var.gitlab_url))
    error_message = "The gitlab_url must be an https:// URL without a trailing slash or wildcards, e.g. https://gitlab.example.com."
  }
}

variable "audience" {
  description = "Audience (`aud`) the GitLab jobs request in `id_tokens`; the trust policies accept tokens for this audience only. Defaults to `gitlab_url`."
  type        = string
  default     = null
}

variable "create_provider" {
  description = "Create the IAM OIDC identity provider; set false when the account already has one for this GitLab instance and pass `provider_arn`."
  type        = bool
  default     = true
}

variable "provider_arn" {
  description = "ARN of an existing IAM OIDC provider for the GitLab instance (only when `create_provider` is false)."
  type        = string
  default     = null
}

variable "roles" {
  description = <<-EOT
    Roles GitLab CI jobs assume with their ID token, keyed by role name. Each trusts exactly the listed
    (project, ref) pairs: `sub` must equal `project_path:<project_path>:ref_type:<ref_type>:ref:<ref>`
    (StringEquals, no wildcards), and `aud` must equal the audience.
    - `subjects`: the projects and their protected refs, e.g. `{ project_path = "root/api-gateway" }` (branch `main`).
    - `policy_json`: inline policy of the role; `managed_policy_arns`: managed policies to attach.
  EOT
  type = map(object({
    description = string
    subjects = list(object({
      project_path = string
      ref_type     = optional(string, "branch")
      ref          = optional(string, "main")
    }))
    policy_json          = optional(string)
    managed_policy_arns  = optional(list(string), [])
    max_session_duration = optional(number, 3600)
  }))

  validation {
    condition = alltrue(flatten([
      for r in values(var.roles) : [
        for s in r.subjects : can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", s.project_path)) && can(regex("^[A-Za-z0-9_./-]+$", s.ref)) && contains(["branch", "tag"], s.ref_type)
      ]
    ]))
    error_message = "Every subject needs a literal project_path such as root/api-gateway, a literal ref such as main and ref_type branch or tag: wildcards ('*', '?') are refused so a role trusts exactly the projects it names."
  }

  validation {
    condition     = alltrue([for r in values(var.roles) : length(r.subjects) > 0])
    error_message = "Every role needs at least one subject."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
