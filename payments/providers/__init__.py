"""One module per payment platform, each speaking its protocol and nothing else (`base.Provider`);
`payments.registry` names them and says which are enabled."""
