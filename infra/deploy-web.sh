#!/usr/bin/env bash
# Puts the admin console on AWS: builds it, writes its config.json from the stack's
# outputs (the API, the Hosted UI, the console's app client), uploads the build to the
# console bucket (built files cached for a year: their names carry their hash; the page
# and its settings not at all) and invalidates CloudFront's copy.
#
#   STACK=saypro-messaging-prod bash infra/deploy-web.sh      (make deploy-web)
#
# Needs the AWS CLI with credentials for the stack's account, and Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STACK:?set STACK to the name of the deployed stack}"

output() {
    aws cloudformation describe-stacks --stack-name "$STACK" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
api=$(output ApiUrl)
bucket=$(output ConsoleBucketName)
distribution=$(output ConsoleDistributionId)
console=$(output ConsoleUrl)
client=$(output ConsoleClientId)
domain=$(output CognitoHostedUiDomain)

(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
jq -n --arg api "$api" --arg domain "$domain" --arg client "$client" --arg redirect "$console" \
    '{api: $api, sign_in: {kind: "cognito", domain: $domain, client_id: $client, redirect_uri: $redirect}}' \
    > web/dist/console/config.json

aws s3 sync web/dist/console/assets "s3://$bucket/console/assets" --delete \
    --cache-control "public, max-age=31536000, immutable"
aws s3 cp web/dist/console/index.html "s3://$bucket/console/index.html" --cache-control "no-cache"
aws s3 cp web/dist/console/config.json "s3://$bucket/console/config.json" --cache-control "no-store"
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/console/*" >/dev/null
echo "the console is at $console"
