locals {
  https      = var.certificate_arn != null
  scheme     = local.https ? "https" : "http"
  create_dns = var.route53_zone_id != null && var.domain_name != null
  # CodeDeploy services get whole listeners of their own; every other service adds
  # its path rules (ecs-service module) to the production and the shared test listener.
  codedeploy = var.codedeploy_services

  production_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn

  # An internal load balancer can still serve the internet through a network load balancer in front of it
  # (public_entry): its DNS name (or the domain's alias) is then the public host.
  public_entry = var.internal && var.public_entry != null
  public_host  = local.create_dns ? var.domain_name : (local.public_entry ? aws_lb.public_entry[0].dns_name : aws_lb.this.dns_name)
  # Production ports the public entry forwards to the load balancer's listeners of the same port.
  public_ports = local.public_entry ? merge(
    { http = 80 },
    local.https ? { https = 443 } : {},
    { for k, s in local.codedeploy : "codedeploy-${k}" => s.listener_port },
  ) : {}
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

# The test listener admits the security groups it is given (the smoke check's, by reference) and never a
# CIDR: a revision that is not live yet is seen by nobody else. A reference matches only traffic that
# arrives from those groups' private addresses, so the caller must reach the load balancer inside the VPC
# (an internal load balancer: its DNS name resolves to private addresses).
resource "aws_vpc_security_group_ingress_rule" "test" {
  for_each = var.test_listener ? var.test_ingress_security_groups : {}

  security_group_id            = aws_security_group.this.id
  description                  = "Test listener from ${each.key} (new revision before it takes production traffic)"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.test_listener_port
  to_port                      = var.test_listener_port
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
  internal           = var.internal
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

# Plain HTTP: it is reached only by the groups in `test_ingress_security_groups`, over the load
# balancer's private addresses inside the VPC, at the load balancer's own DNS name (a certificate for the
# public domain would not match that name).
resource "aws_lb_listener" "test" {
  count = var.test_listener ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = "HTTP"

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
  for_each = merge([for k, s in local.codedeploy : { for name, sg in var.test_ingress_security_groups : "${k}/${name}" => { port = s.listener_port + 1, sg = sg, name = name } }]...)

  security_group_id            = aws_security_group.this.id
  description                  = "Test listener of a CodeDeploy service from ${each.value.name}"
  referenced_security_group_id = each.value.sg
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
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
    name                   = local.public_entry ? aws_lb.public_entry[0].dns_name : aws_lb.this.dns_name
    zone_id                = local.public_entry ? aws_lb.public_entry[0].zone_id : aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

################################################################################
# Public entry of an internal load balancer: an internet-facing network load
# balancer whose TCP listeners forward to the load balancer's listeners of the
# same port ("alb" target groups). TLS still ends on the load balancer.
################################################################################

resource "aws_security_group" "public_entry" {
  count = local.public_entry ? 1 : 0

  name        = "${var.name}-entry"
  description = "Public entry of ${var.name}: production ports in, the load balancer out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-entry" })
}

resource "aws_vpc_security_group_ingress_rule" "public_entry" {
  for_each = merge([for port_name, port in local.public_ports : { for cidr in var.ingress_cidr_blocks : "${port_name}/${cidr}" => { port = port, cidr = cidr } }]...)

  security_group_id = aws_security_group.public_entry[0].id
  description       = "Production traffic"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "public_entry" {
  for_each = local.public_ports

  security_group_id            = aws_security_group.public_entry[0].id
  description                  = "To the load balancer's ${each.key} listener"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_vpc_security_group_ingress_rule" "from_public_entry" {
  for_each = local.public_ports

  security_group_id            = aws_security_group.this.id
  description                  = "Production ${each.key} from the public entry"
  referenced_security_group_id = aws_security_group.public_entry[0].id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_lb" "public_entry" {
  count = local.public_entry ? 1 : 0

  name               = "${var.name}-in"
  load_balancer_type = "network"
  internal           = false
  security_groups    = [aws_security_group.public_entry[0].id]
  subnets            = var.public_entry.subnet_ids

  enable_deletion_protection = var.enable_deletion_protection

  tags = merge(var.tags, { Name = "${var.name}-in" })
}

resource "aws_lb_target_group" "public_entry" {
  for_each = local.public_ports

  name        = substr("${var.name}-${each.value}", 0, 32)
  target_type = "alb"
  protocol    = "TCP"
  port        = each.value
  vpc_id      = var.vpc_id

  # The entry checks that the load balancer answers at all: its default actions answer 404 (or redirect to
  # HTTPS), so any answer below 500 means it is up.
  health_check {
    enabled  = true
    protocol = local.https && each.value != 80 ? "HTTPS" : "HTTP"
    path     = "/"
    matcher  = "200-499"
  }

  tags = var.tags
}

resource "aws_lb_target_group_attachment" "public_entry" {
  for_each = local.public_ports

  target_group_arn = aws_lb_target_group.public_entry[each.key].arn
  target_id        = aws_lb.this.arn
  port             = each.value

  # An "alb" target group needs the load balancer's listener on that port first.
  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_lb_listener.codedeploy]
}

resource "aws_lb_listener" "public_entry" {
  for_each = local.public_ports

  load_balancer_arn = aws_lb.public_entry[0].arn
  port              = each.value
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.public_entry[each.key].arn
  }

  tags = var.tags
}
