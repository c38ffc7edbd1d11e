#!/usr/bin/env python3
"""moto_server with Cognito's TagResource and UntagResource, which moto 5.2.1 does not implement
("The tag_resource action has not been implemented"). AWS tags a user pool with them; the pool's
tags are where moto keeps them for CreateUserPool's UserPoolTags, so DescribeUserPool shows
them. Nothing else differs from moto_server.

    python3 examples/migrate/moto_tagging.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.cognitoidp.responses import CognitoIdpResponse
from moto.server import main


def _pool(self):
    return self.backend.describe_user_pool(self._get_param("ResourceArn").split("/")[-1])


def tag_resource(self):
    pool = _pool(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    tags.update(self._get_param("Tags") or {})
    pool.extended_config["UserPoolTags"] = tags
    return "{}"


def untag_resource(self):
    pool = _pool(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    for k in self._get_param("TagKeys") or []:
        tags.pop(k, None)
    pool.extended_config["UserPoolTags"] = tags
    return "{}"


CognitoIdpResponse.tag_resource = tag_resource
CognitoIdpResponse.untag_resource = untag_resource

if __name__ == "__main__":
    main(sys.argv[1:])
