package xmlmodel_test

import (
	"fmt"

	"github.com/licgate/licgate/xmlmodel"
)

// A client's activation request, as real EMS clients send it: the C2V in
// CDATA with spaces around it, attributeValue before attributeName, and
// schema attributes on the root.
func ExampleUnmarshalEMS() {
	req := []byte(`<?xml version="1.0" encoding="UTF-8" ?>
<activation xsi:noNamespaceSchemaLocation="License.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <activationInput>
    <activationAttribute>
      <attributeValue>
<![CDATA[<hasp_info><haspscope><hasp id="712734935"/></haspscope></hasp_info>]]> 
      </attributeValue>
      <attributeName>C2V</attributeName>
    </activationAttribute>
    <comments></comments>
  </activationInput>
</activation>`)
	var a xmlmodel.Activation
	if err := xmlmodel.UnmarshalEMS(req, &a); err != nil {
		fmt.Println(err)
		return
	}
	c2v, _ := a.Input.Attribute(xmlmodel.AttrC2V)
	fmt.Println(c2v.Value)
	// Output:
	// <hasp_info><haspscope><hasp id="712734935"/></haspscope></hasp_info>
}

// The answer to an activation: activationString is escaped with
// [xmlmodel.EscapeText], so quotes come out as &quot; and never as &#34;.
func ExampleMarshalEMS() {
	a := xmlmodel.Activation{
		Output: &xmlmodel.ActivationOutput{
			AID:              "c2396d75-3236-4ca6-9f10-682c62bdebfe",
			ProtectionKeyID:  "712734935",
			ActivationString: `<hasp_info><v2c>eyJhbGciOiJFZERTQSJ9</v2c></hasp_info>`,
		},
		Input: xmlmodel.ActivationInput{
			Attributes: []xmlmodel.ActivationAttribute{{Name: xmlmodel.AttrClearBeforeApplyingUpdate, Value: "null"}},
			Comments:   "first activation",
		},
	}
	b, err := xmlmodel.MarshalEMS(a, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <activation><activationOutput><AID>c2396d75-3236-4ca6-9f10-682c62bdebfe</AID><protectionKeyId>712734935</protectionKeyId><activationString>&lt;hasp_info&gt;&lt;v2c&gt;eyJhbGciOiJFZERTQSJ9&lt;/v2c&gt;&lt;/hasp_info&gt;</activationString></activationOutput><activationInput><activationAttribute><attributeName>CLEAR_BEFORE_APPLYING_UPDATE</attributeName><attributeValue>null</attributeValue></activationAttribute><comments>first activation</comments></activationInput></activation>
}

func ExampleEscapeText() {
	fmt.Println(xmlmodel.EscapeText("<?xml version=\"1.0\"?>\n<a b='c'>&</a>"))
	// Output:
	// &lt;?xml version=&quot;1.0&quot;?&gt;
	// &lt;a b='c'&gt;&amp;&lt;/a&gt;
}
