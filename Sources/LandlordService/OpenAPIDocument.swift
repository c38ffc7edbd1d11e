/// The OpenAPI 3.1 document of the service's API, served at `GET /openapi.json` and checked
/// in as api/openapi.json (a test keeps the two equal; `landlord-server --openapi` prints it).
public enum OpenAPIDocument {
    public static let json = #"""
        {
          "components": {
            "responses": {
              "Error": {
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                },
                "description": "an error"
              }
            },
            "schemas": {
              "Accepted": {
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "status": {
                    "$ref": "#/components/schemas/Status"
                  }
                },
                "required": [
                  "id",
                  "status"
                ],
                "type": "object"
              },
              "CreateTenant": {
                "additionalProperties": false,
                "properties": {
                  "blueprint": {
                    "type": "string"
                  },
                  "id": {
                    "description": "DNS-safe; generated when absent",
                    "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
                    "type": "string"
                  },
                  "parameters": {
                    "description": "the blueprint's parameters, checked against it",
                    "type": "object"
                  }
                },
                "required": [
                  "blueprint"
                ],
                "type": "object"
              },
              "Diagnostic": {
                "properties": {
                  "address": {
                    "type": "string"
                  },
                  "column": {
                    "type": "integer"
                  },
                  "detail": {
                    "type": "string"
                  },
                  "file": {
                    "type": "string"
                  },
                  "line": {
                    "type": "integer"
                  },
                  "message": {
                    "type": "string"
                  },
                  "severity": {
                    "enum": [
                      "error",
                      "warning"
                    ]
                  }
                },
                "required": [
                  "severity",
                  "message"
                ],
                "type": "object"
              },
              "Error": {
                "properties": {
                  "error": {
                    "$ref": "#/components/schemas/ErrorDetail"
                  }
                },
                "required": [
                  "error"
                ],
                "type": "object"
              },
              "ErrorDetail": {
                "properties": {
                  "code": {
                    "type": "string"
                  },
                  "diagnostics": {
                    "items": {
                      "$ref": "#/components/schemas/Diagnostic"
                    },
                    "type": "array"
                  },
                  "message": {
                    "type": "string"
                  }
                },
                "required": [
                  "code",
                  "message",
                  "diagnostics"
                ],
                "type": "object"
              },
              "HistoryEntry": {
                "properties": {
                  "at": {
                    "format": "date-time",
                    "type": "string"
                  },
                  "reason": {
                    "type": "string"
                  },
                  "status": {
                    "$ref": "#/components/schemas/Status"
                  }
                },
                "required": [
                  "status",
                  "at"
                ],
                "type": "object"
              },
              "Status": {
                "enum": [
                  "pending_approval",
                  "provisioning",
                  "active",
                  "rejected",
                  "failed",
                  "timed_out",
                  "deprovisioning",
                  "deleted"
                ],
                "type": "string"
              },
              "Tenant": {
                "properties": {
                  "approvalDeadline": {
                    "format": "date-time",
                    "type": "string"
                  },
                  "blueprint": {
                    "type": "string"
                  },
                  "createdAt": {
                    "format": "date-time",
                    "type": "string"
                  },
                  "error": {
                    "$ref": "#/components/schemas/ErrorDetail"
                  },
                  "history": {
                    "items": {
                      "$ref": "#/components/schemas/HistoryEntry"
                    },
                    "type": "array"
                  },
                  "id": {
                    "type": "string"
                  },
                  "outputs": {
                    "description": "the tenant's outputs; sensitive values as \"(sensitive)\"",
                    "type": "object"
                  },
                  "parameters": {
                    "description": "sensitive values as \"(sensitive)\"",
                    "type": "object"
                  },
                  "resources": {
                    "minimum": 0,
                    "type": "integer"
                  },
                  "status": {
                    "$ref": "#/components/schemas/Status"
                  }
                },
                "required": [
                  "id",
                  "blueprint",
                  "status",
                  "parameters",
                  "outputs",
                  "resources",
                  "history",
                  "createdAt"
                ],
                "type": "object"
              },
              "TenantPage": {
                "properties": {
                  "nextCursor": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "tenants": {
                    "items": {
                      "$ref": "#/components/schemas/Tenant"
                    },
                    "type": "array"
                  }
                },
                "required": [
                  "tenants",
                  "nextCursor"
                ],
                "type": "object"
              }
            },
            "securitySchemes": {
              "bearer": {
                "scheme": "bearer",
                "type": "http"
              }
            }
          },
          "info": {
            "description": "`landlord serve`: create tenants from sign-ups, approve or reject them, watch them provision and delete them. Every /v1 request needs `Authorization: Bearer TOKEN` (tokens from the environment variable platform.yaml's `api.tokensEnv` names) unless the service runs without tokens on loopback. Errors are `{\"error\": {\"code\", \"message\", \"diagnostics\"}}`. A request that starts work (create, approve, delete) answers 503 while the fleet's files, re-read when they change, do not read (`fleet_invalid`, with the diagnostics `landlord validate` gives) or platform.yaml changed what only a restart wires (`restart_required`).",
            "title": "Landlord tenant lifecycle service",
            "version": "1.0.0"
          },
          "openapi": "3.1.0",
          "paths": {
            "/healthz": {
              "get": {
                "operationId": "health",
                "responses": {
                  "200": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "properties": {
                            "status": {
                              "const": "ok"
                            }
                          },
                          "required": [
                            "status"
                          ],
                          "type": "object"
                        }
                      }
                    },
                    "description": "the service runs"
                  }
                },
                "security": [],
                "summary": "Liveness"
              }
            },
            "/metrics": {
              "get": {
                "operationId": "metrics",
                "responses": {
                  "200": {
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "description": "Prometheus text exposition format 0.0.4"
                  }
                },
                "security": [],
                "summary": "Prometheus text: requests, queue depth, applies by outcome, apply seconds"
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "responses": {
                  "200": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    },
                    "description": "OpenAPI 3.1"
                  }
                },
                "security": [],
                "summary": "This document"
              }
            },
            "/v1/tenants": {
              "get": {
                "operationId": "listTenants",
                "parameters": [
                  {
                    "in": "query",
                    "name": "status",
                    "schema": {
                      "$ref": "#/components/schemas/Status"
                    }
                  },
                  {
                    "in": "query",
                    "name": "limit",
                    "schema": {
                      "default": 50,
                      "maximum": 500,
                      "minimum": 1,
                      "type": "integer"
                    }
                  },
                  {
                    "description": "nextCursor of the previous page",
                    "in": "query",
                    "name": "cursor",
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/TenantPage"
                        }
                      }
                    },
                    "description": "a page"
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "A page of tenants, by id"
              },
              "post": {
                "operationId": "createTenant",
                "requestBody": {
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/CreateTenant"
                      }
                    }
                  },
                  "required": true
                },
                "responses": {
                  "202": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Accepted"
                        }
                      }
                    },
                    "description": "accepted: the change is recorded and will be carried out"
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "413": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "Create a tenant (validated like `landlord validate`); provisioned at once, or after approval when its blueprint says `onboarding: {approval: required}`"
              }
            },
            "/v1/tenants/{id}": {
              "delete": {
                "operationId": "deleteTenant",
                "parameters": [
                  {
                    "description": "also delete resources marked `protect: true`",
                    "in": "query",
                    "name": "force",
                    "schema": {
                      "default": false,
                      "type": "boolean"
                    }
                  }
                ],
                "responses": {
                  "202": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Accepted"
                        }
                      }
                    },
                    "description": "accepted: the change is recorded and will be carried out"
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "Destroy the tenant like `landlord destroy`, remove its file, then `deleted`"
              },
              "get": {
                "operationId": "getTenant",
                "responses": {
                  "200": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Tenant"
                        }
                      }
                    },
                    "description": "the tenant"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "One tenant"
              },
              "parameters": [
                {
                  "in": "path",
                  "name": "id",
                  "required": true,
                  "schema": {
                    "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
                    "type": "string"
                  }
                }
              ]
            },
            "/v1/tenants/{id}/approve": {
              "parameters": [
                {
                  "in": "path",
                  "name": "id",
                  "required": true,
                  "schema": {
                    "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
                    "type": "string"
                  }
                }
              ],
              "post": {
                "operationId": "approveTenant",
                "responses": {
                  "202": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Accepted"
                        }
                      }
                    },
                    "description": "accepted: the change is recorded and will be carried out"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "Approve a tenant awaiting approval: it is provisioned"
              }
            },
            "/v1/tenants/{id}/reject": {
              "parameters": [
                {
                  "in": "path",
                  "name": "id",
                  "required": true,
                  "schema": {
                    "pattern": "^[a-z0-9][a-z0-9-]{0,62}$",
                    "type": "string"
                  }
                }
              ],
              "post": {
                "operationId": "rejectTenant",
                "requestBody": {
                  "content": {
                    "application/json": {
                      "schema": {
                        "additionalProperties": false,
                        "properties": {
                          "reason": {
                            "type": "string"
                          }
                        },
                        "type": "object"
                      }
                    }
                  },
                  "required": false
                },
                "responses": {
                  "202": {
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Accepted"
                        }
                      }
                    },
                    "description": "accepted: the change is recorded and will be carried out"
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "413": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "summary": "Reject a tenant awaiting approval: nothing is provisioned"
              }
            }
          },
          "security": [
            {
              "bearer": []
            }
          ]
        }
        """#
}
