locals {
  https      = var.certificate_arn != null
  scheme     = local.https ? "https" : "http"
  create_dns = var.route53_zone_id != null && var.domain_name != null
  host       = local.create_dns ? var.domain_name : aws_lb.this.dns_name
  # CodeDeploy services get whole listeners of their own; every other service adds
  # its path rules (ecs-service module) to the production and the shared test listener.
  codedeploy = var.codedeploy_services

  production_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
}

################################################################################
# Security group
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "Load balancer ${var.name}: listeners in, targets out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  for_each = toset(var.ingress_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "HTTP (redirects to HTTPS when a certificate is set)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = local.https ? toset(var.ingress_cidr_blocks) : toset([])

  security_group_id = aws_security_group.this.id
  description       = "HTTPS"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "test" {
  for_each = var.test_listener ? toset(concat([var.vpc_cidr_block], var.test_ingress_cidr_blocks)) : toset([])

  security_group_id = aws_security_group.this.id
  description       = "Test listener (new revision before it takes production traffic)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.this.id
  description       = "Requests and health checks to targets inside the VPC"
  cidr_ipv4         = var.vpc_cidr_block
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
}

################################################################################
# Load balancer and listeners
################################################################################

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.this.id]
  subnets            = var.subnet_ids

  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.enable_deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket != null ? [var.access_logs_bucket] : []

    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = local.https ? "redirect" : "fixed-response"

    dynamic "redirect" {
      for_each = local.https ? [1] : []

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }

    dynamic "fixed_response" {
      for_each = local.https ? [] : [1]

      content {
        content_type = "text/plain"
        message_body = "No service matches this path"
        status_code  = "404"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "No service matches this path"
      status_code  = "404"
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "test" {
  count = var.test_listener ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = local.https ? "HTTPS" : "HTTP"
  ssl_policy        = local.https ? var.ssl_policy : null
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "No service matches this path"
      status_code  = "404"
    }
  }

  tags = var.tags
}

################################################################################
# CodeDeploy services: a production and a test listener each, forwarding to the
# service's first target group (ecs-service module), whose default action
# CodeDeploy rewrites during a deployment (hence ignore_changes).
################################################################################

resource "aws_vpc_security_group_ingress_rule" "codedeploy" {
  for_each = merge([for k, s in local.codedeploy : { for cidr in var.ingress_cidr_blocks : "${k}/${cidr}" => { port = s.listener_port, cidr = cidr } }]...)

  security_group_id = aws_security_group.this.id
  description       = "Production listener of a CodeDeploy service"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_ingress_rule" "codedeploy_test" {
  for_each = merge([for k, s in local.codedeploy : { for cidr in concat([var.vpc_cidr_block], var.test_ingress_cidr_blocks) : "${k}/${cidr}" => { port = s.listener_port + 1, cidr = cidr } }]...)

  security_group_id = aws_security_group.this.id
  description       = "Test listener of a CodeDeploy service"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_lb_listener" "codedeploy" {
  for_each = local.codedeploy

  load_balancer_arn = aws_lb.this.arn
  port              = each.value.listener_port
  protocol          = local.https ? "HTTPS" : "HTTP"
  ssl_policy        = local.https ? var.ssl_policy : null
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = each.value.target_group_arn
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "codedeploy_test" {
  for_each = local.codedeploy

  load_balancer_arn = aws_lb.this.arn
  port              = each.value.listener_port + 1
  protocol          = local.https ? "HTTPS" : "HTTP"
  ssl_policy        = local.https ? var.ssl_policy : null
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = each.value.target_group_arn
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    ignore_changes = [default_action]
  }
}

################################################################################
# DNS: an alias record when a hosted zone is given; otherwise callers use the
# load balancer's own DNS name (output `url`).
################################################################################

resource "aws_route53_record" "this" {
  count = local.create_dns ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}
