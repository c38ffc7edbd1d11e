// The AWS wire client (SigV4, transport, protocols, retries) lands in this folder.
